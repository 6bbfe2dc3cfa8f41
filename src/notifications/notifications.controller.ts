import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AccessContext } from '../access-log/access-log.service.js';
import { AccessLogService } from '../access-log/access-log.service.js';
import { Access } from '../auth/access-context.decorator.js';
import { Authorize } from '../auth/decorators.js';
import { NotificationsService } from './notifications.service.js';

@ApiTags('notifications')
@Controller('v1/notifications')
export class NotificationsController {
  constructor(
    private readonly notifications: NotificationsService,
    private readonly accessLog: AccessLogService,
  ) {}

  @Get()
  @Authorize('read', 'Notification')
  @ApiOperation({
    summary: "Your organisation's notifications (e.g. a consent withdrawn for data you received), newest first",
  })
  list(@Access() access: AccessContext) {
    return this.accessLog.audited(access, async (manager) => {
      const items = (await this.notifications.listFor(manager, access.principal.partnerId)).map((n) => ({
        id: n.id,
        kind: n.kind,
        consentId: n.consentId,
        clientRef: n.clientRef,
        purposes: n.purposes,
        categories: n.categories,
        createdAt: n.createdAt.toISOString(),
      }));
      return {
        result: { items, nextCursor: null },
        record: {
          action: 'read',
          resourceType: 'Notification',
          decision: 'permit',
          reason: 'partner read its notifications',
          disclosed: { notifications: items.map((i) => i.id) },
        },
      };
    });
  }
}
